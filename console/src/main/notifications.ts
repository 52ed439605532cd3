import type { NotificationRequest } from '../shared/ipc.js';

export interface NotificationLike {
  show(): void;
  close(): void;
  on(event: 'click', listener: () => void): unknown;
}
export interface NotificationApi {
  isSupported(): boolean;
  create(options: { title: string; body: string; silent: boolean }): NotificationLike;
}

/**
 * Native notifications for alarms. A newer notification with the same tag
 * (same vehicle, same kind of alarm) replaces the older one, so a vehicle
 * flapping offline and online does not bury the dispatcher's screen.
 */
export class Notifier {
  readonly #byTag = new Map<string, NotificationLike>();

  constructor(
    private readonly api: NotificationApi,
    private readonly onClick: () => void,
  ) {}

  show(request: NotificationRequest): boolean {
    if (!this.api.isSupported()) return false;
    if (request.tag) this.#byTag.get(request.tag)?.close();
    const notification = this.api.create({
      title: request.title,
      body: request.body,
      silent: false,
    });
    notification.on('click', this.onClick);
    if (request.tag) this.#byTag.set(request.tag, notification);
    notification.show();
    return true;
  }
}

import type { NotificationRequest } from '../shared/ipc.js';

export interface NotificationLike {
  show(): void;
  close(): void;
  on(event: 'click', listener: () => void): unknown;
  on(event: 'close', listener: () => void): unknown;
}

/**
 * Tagged notifications remembered (to be replaced by a newer one with the
 * same tag). A shift sees alarms from hundreds of vehicles; the oldest are
 * forgotten first, and a dismissed one at once.
 */
export const MAX_TAGGED_NOTIFICATIONS = 100;
export interface NotificationApi {
  isSupported(): boolean;
  create(options: { title: string; body: string; silent: boolean }): NotificationLike;
}

/**
 * Native notifications for alarms. A newer notification with the same tag
 * (same vehicle, same kind of alarm) replaces the older one, so a vehicle
 * flapping offline and online does not bury the dispatcher's screen. Held
 * notifications also keep their click handler alive (Electron drops a
 * notification's handlers once nothing references it).
 */
export class Notifier {
  /** Insertion order is age: the first entry is the oldest. */
  readonly #byTag = new Map<string, NotificationLike>();

  constructor(
    private readonly api: NotificationApi,
    private readonly onClick: () => void,
    private readonly maxTagged = MAX_TAGGED_NOTIFICATIONS,
  ) {}

  show(request: NotificationRequest): boolean {
    if (!this.api.isSupported()) return false;
    const { tag } = request;
    if (tag) {
      this.#byTag.get(tag)?.close();
      this.#byTag.delete(tag);
    }
    const notification = this.api.create({
      title: request.title,
      body: request.body,
      silent: false,
    });
    notification.on('click', this.onClick);
    if (tag) {
      this.#byTag.set(tag, notification);
      notification.on('close', () => {
        if (this.#byTag.get(tag) === notification) this.#byTag.delete(tag);
      });
      for (const oldest of this.#byTag.keys()) {
        if (this.#byTag.size <= this.maxTagged) break;
        this.#byTag.delete(oldest);
      }
    }
    notification.show();
    return true;
  }
}

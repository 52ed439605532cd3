import { IPC_CHANNELS } from '../shared/ipc.js';
import type { IpcChannel, IpcParsedRequest, IpcReply, IpcResponse } from '../shared/ipc.js';

/** The part of Electron's ipcMain the registry uses (a fake in unit tests). */
export interface IpcMainLike {
  handle(
    channel: string,
    listener: (event: IpcInvokeEventLike, ...args: unknown[]) => unknown,
  ): void;
  removeHandler(channel: string): void;
}

export interface IpcInvokeEventLike {
  senderFrame: { url: string } | null;
}

/** A handler receives the request as its schema parsed it. */
export type IpcHandler<C extends IpcChannel> = (
  request: IpcParsedRequest<C>,
) => Promise<IpcResponse<C>> | IpcResponse<C>;

export interface IpcRegistryOptions {
  /** Only pages from these origins may call the main process (our renderer, not a page it navigated to). */
  isTrustedSender: (url: string) => boolean;
  onError?: (channel: string, error: unknown) => void;
}

/**
 * One place that owns every IPC handler. Registering a channel twice is a
 * programming error and throws at start-up, before any window exists. Each
 * request is validated against the channel's schema; each answer too, so a
 * bug in a handler cannot hand the renderer something the contract does not
 * allow. Failures travel as data ({ ok: false, error }).
 */
export class IpcRegistry {
  readonly #channels = new Set<string>();

  constructor(
    private readonly ipcMain: IpcMainLike,
    private readonly options: IpcRegistryOptions,
  ) {}

  get channels(): readonly string[] {
    return [...this.#channels];
  }

  handle<C extends IpcChannel>(channel: C, handler: IpcHandler<C>): void {
    if (this.#channels.has(channel))
      throw new Error(`IPC channel "${channel}" is already registered`);
    const contract = IPC_CHANNELS[channel];
    if (!contract) throw new Error(`IPC channel "${channel}" is not in the contract`);
    this.#channels.add(channel);
    this.ipcMain.handle(channel, async (event, raw): Promise<IpcReply> => {
      const url = event.senderFrame?.url ?? '';
      if (!this.options.isTrustedSender(url))
        return fail('invalid-request', `${channel}: refused a call from an untrusted page`);
      const request = contract.request.safeParse(raw);
      if (!request.success)
        return fail('invalid-request', `${channel}: ${describeIssues(request.error.issues)}`);
      let value: unknown;
      try {
        value = await handler(request.data as IpcParsedRequest<C>);
      } catch (err) {
        this.options.onError?.(channel, err);
        return fail(
          'failed',
          `${channel} failed: ${err instanceof Error ? err.message : 'unknown error'}`,
        );
      }
      const response = contract.response.safeParse(value);
      if (!response.success) {
        this.options.onError?.(channel, response.error);
        return fail('invalid-response', `${channel}: ${describeIssues(response.error.issues)}`);
      }
      return { ok: true, value: response.data };
    });
  }

  /** Every channel of the contract must have a handler: a missing one is found at start-up. */
  assertComplete(): void {
    const missing = (Object.keys(IPC_CHANNELS) as IpcChannel[]).filter(
      (c) => !this.#channels.has(c),
    );
    if (missing.length > 0)
      throw new Error(`IPC channels without a handler: ${missing.join(', ')}`);
  }

  dispose(): void {
    for (const channel of this.#channels) this.ipcMain.removeHandler(channel);
    this.#channels.clear();
  }
}

function fail(type: 'invalid-request' | 'invalid-response' | 'failed', message: string): IpcReply {
  return { ok: false, error: { type, message } };
}

export function describeIssues(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.map(String).join('.') : '(request)'}: ${i.message}`)
    .join('; ');
}

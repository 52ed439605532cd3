import {
  ConsoleConfigSchema,
  CurrentUserSchema,
  FleetEventSchema,
  FleetListSchema,
  LoginResponseSchema,
  PositionHistorySchema,
  ReadingHistorySchema,
  TripListSchema,
} from '@fleetline/protocol';
import type {
  ConsoleConfig,
  CurrentUser,
  EventType,
  FleetEvent,
  FleetList,
  LoginRequest,
  LoginResponse,
  PositionHistory,
  ReadingHistory,
  TripList,
} from '@fleetline/protocol';
import { z } from 'zod';
import { ApiError } from './errors';

const EventPageSchema = z.object({ events: z.array(FleetEventSchema) });

export interface EventPageQuery {
  from?: number;
  to?: number;
  vehicleId?: number;
  types?: readonly EventType[];
  before?: number;
  limit?: number;
}

export interface ApiClientOptions {
  /** '' for the web console (same origin); the server's URL for the desktop console (it may change at sign-in). */
  baseUrl: () => string;
  /** The bearer token (desktop); the web console relies on its HttpOnly cookie instead. */
  token: () => string | null;
  fetchImpl?: typeof fetch;
  timeoutMs?: number;
}

export type ApiClient = ReturnType<typeof createApiClient>;

/**
 * The REST API as the console uses it. Every answer is checked against the
 * protocol's schema: the server is another process, and a mismatch is
 * reported as `invalid-response` instead of breaking a panel later.
 */
export function createApiClient(options: ApiClientOptions) {
  const fetchImpl = options.fetchImpl ?? ((input, init) => fetch(input, init));
  const timeoutMs = options.timeoutMs ?? 15_000;

  async function call<T>(
    what: string,
    path: string,
    schema: z.ZodType<T>,
    init: {
      method?: string;
      body?: unknown;
      query?: Record<string, string | number | undefined>;
    } = {},
  ): Promise<T> {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(init.query ?? {}))
      if (v !== undefined) query.set(k, String(v));
    const url = `${options.baseUrl()}${path}${query.size ? `?${query.toString()}` : ''}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = options.token();
    if (token) headers.authorization = `Bearer ${token}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetchImpl(url, {
        method: init.method ?? 'GET',
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        // Same-origin: the session cookie rides along; cross-origin (desktop): never.
        credentials: 'same-origin',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      if (err instanceof DOMException && err.name === 'TimeoutError')
        throw new ApiError('timeout', `${what}: the server did not answer in time`);
      throw new ApiError('network', `${what}: the server cannot be reached`);
    }
    if (!res.ok) throw await ApiError.fromResponse(res);
    if (res.status === 204) return schema.parse(null);
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      throw new ApiError('invalid-response', `${what}: the answer is not JSON`);
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw ApiError.fromSchema(what, parsed.error);
    return parsed.data;
  }

  return {
    config: (): Promise<ConsoleConfig> =>
      call('the console settings', '/api/config', ConsoleConfigSchema),
    login: (request: LoginRequest): Promise<LoginResponse> =>
      call('the login', '/api/auth/login', LoginResponseSchema, { method: 'POST', body: request }),
    logout: (): Promise<null> =>
      call('the logout', '/api/auth/logout', z.null(), { method: 'POST' }),
    me: (): Promise<CurrentUser> => call('who is signed in', '/api/auth/me', CurrentUserSchema),
    fleets: (): Promise<FleetList> => call('the fleets', '/api/fleets', FleetListSchema),
    positions: (
      vehicleId: number,
      from: number,
      to: number,
      maxPoints = 5000,
    ): Promise<PositionHistory> =>
      call('the position history', `/api/vehicles/${vehicleId}/positions`, PositionHistorySchema, {
        query: { from, to, maxPoints },
      }),
    readings: (
      vehicleId: number,
      from: number,
      to: number,
      maxPoints = 2000,
      pid?: number,
    ): Promise<ReadingHistory> =>
      call('the readings history', `/api/vehicles/${vehicleId}/readings`, ReadingHistorySchema, {
        query: { from, to, maxPoints, pid },
      }),
    trips: (vehicleId: number, from: number, to: number): Promise<TripList> =>
      call('the trips', `/api/vehicles/${vehicleId}/trips`, TripListSchema, {
        query: { from, to },
      }),
    events: (query: EventPageQuery): Promise<FleetEvent[]> =>
      call('the event log', '/api/events', EventPageSchema, {
        query: {
          from: query.from,
          to: query.to,
          vehicleId: query.vehicleId,
          type: query.types?.length ? query.types.join(',') : undefined,
          before: query.before,
          limit: query.limit ?? 200,
        },
      }).then((page) => page.events),
  };
}

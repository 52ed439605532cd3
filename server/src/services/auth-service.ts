import type { LoginResponse } from '@fleetline/protocol';
import { AppError } from '../domain/errors.js';
import type { Clock } from '../domain/clock.js';
import { decoyHash, verifyPassword } from '../security/passwords.js';
import { hashToken, looksLikeToken, newToken } from '../security/tokens.js';
import type { SessionRepository } from '../repositories/sessions.js';
import type { UserRepository } from '../repositories/users.js';
import type { AuthenticatedUser } from './access.js';
import { LoginThrottle } from './login-throttle.js';

export class AuthService {
  private decoy: Promise<string> | undefined;
  private readonly throttle = new LoginThrottle();

  constructor(
    private readonly users: UserRepository,
    private readonly sessions: SessionRepository,
    private readonly clock: Clock,
    private readonly options: { sessionTtlMs: number; passwordHashCost: number },
  ) {}

  async login(email: string, password: string): Promise<LoginResponse> {
    const now = this.clock.now();
    const wait = this.throttle.begin(email, now);
    if (wait > 0) {
      throw new AppError(
        'rate-limited',
        `too many failed logins for this account; try again in ${Math.ceil(wait / 60000)} min`,
        undefined,
        wait,
      );
    }
    const user = await this.users.findByEmail(email);
    // Unknown email: verify against a decoy so the answer takes as long as a wrong password.
    const ok = await verifyPassword(
      password,
      user?.passwordHash ?? (await (this.decoy ??= decoyHash(this.options.passwordHashCost))),
    );
    if (!user || !ok || user.disabledAt !== null) throw new AppError('invalid-credentials');
    this.throttle.succeed(email);
    const token = newToken('session');
    const expiresAt = now + this.options.sessionTtlMs;
    await this.sessions.create({ userId: user.id, tokenHash: hashToken(token), now, expiresAt });
    const fleetIds = await this.users.fleetIds(user.id);
    return {
      token,
      expiresAt,
      user: { id: user.id, email: user.email, name: user.name, role: user.role, fleetIds },
    };
  }

  async authenticate(token: string | undefined): Promise<AuthenticatedUser> {
    if (!token || !looksLikeToken('session', token)) throw new AppError('unauthenticated');
    const session = await this.sessions.findActive(hashToken(token), this.clock.now());
    if (!session)
      throw new AppError('unauthenticated', 'the session has expired or was ended; log in again');
    const user = await this.users.findById(session.userId);
    if (!user || user.disabledAt !== null) throw new AppError('unauthenticated');
    const fleetIds = await this.users.fleetIds(user.id);
    return {
      id: user.id,
      email: user.email,
      name: user.name,
      role: user.role,
      fleetIds,
      sessionId: session.id,
    };
  }

  async logout(token: string): Promise<void> {
    await this.sessions.revoke(hashToken(token), this.clock.now());
  }
}

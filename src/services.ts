import type { Config } from './config';
import { AuthService } from './auth/auth.service';
import { PasswordHasher } from './auth/password-hasher';
import { RevocationService } from './auth/revocation.service';
import { TokenService } from './auth/token.service';
import { UserService } from './users/user.service';

/** Process-wide services; per-request state (the EntityManager, the viewer) is passed in by callers. */
export interface Services {
  auth: AuthService;
  users: UserService;
  tokens: TokenService;
  revocations: RevocationService;
  passwords: PasswordHasher;
}

export function createServices(config: Pick<Config, 'jwt' | 'bcryptCost'>): Services {
  const passwords = new PasswordHasher(config.bcryptCost);
  const tokens = new TokenService(config.jwt);
  const revocations = new RevocationService(config.jwt.clockToleranceSeconds);
  const users = new UserService();
  const auth = new AuthService(passwords, tokens, revocations, users);
  return { auth, users, tokens, revocations, passwords };
}

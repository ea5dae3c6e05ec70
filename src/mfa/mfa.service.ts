import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuthService } from '../auth/auth.service';
import { ConfigError, type Config } from '../config';
import { ErrorCode } from '../errors/codes';
import { AppError } from '../errors/errors';
import type { SecurityEventService } from '../events/security-event.service';
import type { RateLimitService } from '../limits/rate-limit.service';
import type { MailService } from '../mail/mail.service';
import { ChallengeService } from './challenge.service';
import { EnrollmentService } from './enrollment.service';
import { Factors } from './factors';
import type { PasskeyFactor } from './passkey-factor';
import { SecretCipher } from './secret-cipher';
import { TotpFactor } from './totp-factor.entity';

/** The second factor's services, built together (src/services.ts wires `challenges` into login as its SecondFactor). */
export class MfaService {
  readonly factors: Factors;
  readonly enrollment: EnrollmentService;
  readonly challenges: ChallengeService;
  private cipher: SecretCipher | undefined;

  constructor(
    private readonly config: Config['mfa'],
    issuer: string,
    events: SecurityEventService,
    limits: RateLimitService,
    mail: MailService,
    auth: AuthService,
    passkeys?: PasskeyFactor,
  ) {
    this.factors = new Factors(() => this.secretCipher(), passkeys);
    this.enrollment = new EnrollmentService(this.factors, events, mail, issuer);
    this.challenges = new ChallengeService(this.factors, auth, limits, events);
  }

  /**
   * Start-up's check: production without ENCRYPTION_KEY cannot read the secrets that exist, so it refuses
   * to start when any factor is stored (with none, it starts, and enrolling answers MFA_UNAVAILABLE).
   */
  async assertKeyAvailable(em: EntityManager): Promise<void> {
    if (this.config.encryptionKey) return;
    if ((await em.count(TotpFactor, {})) > 0) {
      throw new ConfigError([
        'ENCRYPTION_KEY is required: second factors are stored, encrypted with it (try: openssl rand -base64 32; README, "Second factor")',
      ]);
    }
  }

  private secretCipher(): SecretCipher {
    if (!this.config.encryptionKey) throw new AppError(ErrorCode.MFA_UNAVAILABLE);
    return (this.cipher ??= new SecretCipher(this.config.encryptionKey, this.config.previousEncryptionKey));
  }
}

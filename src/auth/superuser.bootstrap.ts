import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG } from '../config/app-config.token';
import { AppConfig } from '../config/app.config';
import { UserAlreadyExistsError } from './errors/user-already-exists.error';
import { UsersService } from './users.service';

export const SUPERUSER_NAME = 'admin';

/** The one time admin's key is shown: a plain block of text, easy to spot and to copy. */
export function superuserBanner(plainKey: string): string {
  return [
    '',
    '================================================================================',
    ` Created the superuser "${SUPERUSER_NAME}". Its API key, shown only this once:`,
    '',
    `   ${plainKey}`,
    '',
    ' Keep it somewhere safe: the service stores only its hash.',
    '================================================================================',
    '',
    '',
  ].join('\n');
}

/**
 * On the very first start (no users at all) creates the superuser `admin` and prints its API key
 * once on standard error, so that a new installation can be used at once. MONITOR_SUPERUSER_API_KEY, when set,
 * becomes that key.
 */
@Injectable()
export class SuperuserBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger('Bootstrap');

  constructor(
    private readonly users: UsersService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if ((await this.users.count()) > 0) {
      return;
    }
    try {
      const { apiKey } = await this.users.create(SUPERUSER_NAME, {
        superuser: true,
        plainKey: this.config.superuserApiKey,
      });
      if (this.config.superuserApiKey) {
        this.logger.log(
          `Created superuser "${SUPERUSER_NAME}" with the key from MONITOR_SUPERUSER_API_KEY`,
        );
      } else {
        // Straight to standard error, not through the logger: the key must reach the person
        // starting the service whatever LOG_LEVEL says, and never a log collector.
        process.stderr.write(superuserBanner(apiKey.plainKey));
        this.logger.log(
          `Created superuser "${SUPERUSER_NAME}"; its API key was printed once on standard error`,
        );
      }
    } catch (error) {
      // Another replica made it first.
      if (!(error instanceof UserAlreadyExistsError)) {
        throw error;
      }
    }
  }
}

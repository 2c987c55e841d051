import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG } from '../config/app-config.token';
import { AppConfig } from '../config/app.config';
import { UserAlreadyExistsError } from './errors/user-already-exists.error';
import { UsersService } from './users.service';

export const SUPERUSER_NAME = 'admin';

/**
 * On the very first start (no users at all) creates the superuser `admin` and logs its API key
 * once, so that a new installation can be used at once. MONITOR_SUPERUSER_API_KEY, when set,
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
        // At warn, so that a quieter LOG_LEVEL does not swallow the only copy of the key.
        this.logger.warn(
          `Created superuser "${SUPERUSER_NAME}". Its API key, shown only this once: ${apiKey.plainKey}`,
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

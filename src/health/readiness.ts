import { Injectable } from '@nestjs/common';

/** Whether this process still takes new work: false from the moment it starts shutting down. */
@Injectable()
export class Readiness {
  private draining = false;

  get accepting(): boolean {
    return !this.draining;
  }

  /** Called once on SIGTERM or SIGINT: from now on /health_check answers 503. */
  startDraining(): void {
    this.draining = true;
  }
}

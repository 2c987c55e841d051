import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'monitor:isPublic';

/** Marks a route that answers without an API key (health, docs). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

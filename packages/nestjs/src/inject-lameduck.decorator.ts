import { Inject } from '@nestjs/common';
import { LAMEDUCK } from './constants.js';

/** Injects the core `Lameduck` handle: `constructor(@InjectLameduck() lameduck: Lameduck)`. */
export const InjectLameduck = (): PropertyDecorator & ParameterDecorator => Inject(LAMEDUCK);

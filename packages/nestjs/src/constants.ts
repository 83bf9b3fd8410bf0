/** Injection token of the module options (what `forRoot()` / `forRootAsync()` produced). */
export const LAMEDUCK_MODULE_OPTIONS = 'LAMEDUCK_MODULE_OPTIONS';

/** Injection token of the core `Lameduck` handle (`@InjectLameduck()` is the short form). */
export const LAMEDUCK = 'LAMEDUCK_INSTANCE';

/** Name of the cleanup hook that runs Nest's own teardown (`app.close()`). */
export const NEST_TEARDOWN_HOOK = 'nestjs app.close()';

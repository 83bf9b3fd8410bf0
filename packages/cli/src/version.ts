import packageJson from '../package.json' with { type: 'json' };

/** This package's version, as `lameduck --version` prints it (the build inlines package.json). */
export const VERSION: string = packageJson.version;

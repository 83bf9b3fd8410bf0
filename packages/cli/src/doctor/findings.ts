/** How bad a finding is; only `error` makes `lameduck doctor` exit 1. */
export type Level = 'error' | 'warning' | 'note';

/** One rule of `lameduck doctor`: what breaks and how to fix it. */
export interface Rule {
  readonly id: string;
  readonly level: Level;
  readonly title: string;
  /** Why it breaks a graceful shutdown. */
  readonly why: string;
  readonly fix: string;
}

/** One mistake found in one file. */
export interface Finding {
  /** As given or found (relative to the working directory), `<stdin>` for standard input. */
  readonly file: string;
  /** 1-based; 1 when the whole file is concerned. */
  readonly line: number;
  readonly rule: string;
  readonly level: Level;
  /** What exactly was found, with the names and numbers of this file. */
  readonly message: string;
}

/** A finding as a rule family produces it; the file and level are filled in by the caller. */
export interface Hit {
  readonly line: number;
  readonly rule: string;
  readonly message: string;
}

/** A count with its noun in the right number: `1 socket`, `0 sockets`, `2 sockets`. */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

// The portal's option lists for the API's enums. The union type comes from the generated client;
// the list is written as a record over it, so the compiler refuses a missing or an unknown value and
// a change to the server's enum shows up here when the client is regenerated.

/** Every value of a string union, in the record's order: valuesOf<Decision>({ Approve: true, … }). */
export function valuesOf<T extends string>(all: Record<T, true>): T[] {
  return Object.keys(all) as T[];
}

/** Select options for every value of a string union, with a label each. */
export function optionsOf<T extends string>(labels: Record<T, string>): { value: T; label: string }[] {
  return (Object.entries(labels) as [T, string][]).map(([value, label]) => ({ value, label }));
}

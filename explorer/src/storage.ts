// GraphiQL's storage: localStorage, so that tabs, theme and layout survive a reload, except for the query
// history and favorites, which stay in this tab's memory. GraphiQL stores its tabs without their headers
// (shouldPersistHeaders: false), but its history records each run with its headers, access token included.
// tests/integration/explorer.test.ts checks that no token reaches localStorage.

const NAMESPACE = 'graphiql:';
const IN_MEMORY = new Set([`${NAMESPACE}queries`, `${NAMESPACE}favorites`]);
const memory = new Map<string, string>();
const storedKeys = () => Object.keys(localStorage).filter((key) => key.startsWith(NAMESPACE));

export const graphiqlStorage = {
  getItem: (key: string): string | null => (IN_MEMORY.has(key) ? (memory.get(key) ?? null) : localStorage.getItem(key)),
  setItem(key: string, value: string): void {
    if (IN_MEMORY.has(key)) memory.set(key, value);
    else localStorage.setItem(key, value);
  },
  removeItem(key: string): void {
    memory.delete(key);
    localStorage.removeItem(key);
  },
  clear(): void {
    memory.clear();
    for (const key of storedKeys()) localStorage.removeItem(key);
  },
  get length(): number {
    return memory.size + storedKeys().filter((key) => !IN_MEMORY.has(key)).length;
  },
};

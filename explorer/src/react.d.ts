// React 19 ships no type declarations, and @types/react is not a dependency of this project: these are the
// few React functions this page calls, typed the way it calls them.
declare module 'react' {
  export function createElement(type: unknown, props?: object | null, ...children: unknown[]): unknown;
  export function useEffect(effect: () => void, deps: readonly unknown[]): void;
}

declare module 'react-dom/client' {
  export function createRoot(container: Element): { render(children: unknown): void };
}

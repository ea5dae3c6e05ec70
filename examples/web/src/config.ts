export interface AppConfig {
  /** Gatehouse's GraphQL endpoint. Same host name as the page (see vite.config.mts), any port. */
  graphqlUrl: string;
}

const DEFAULT_CONFIG: AppConfig = { graphqlUrl: 'http://127.0.0.1:4000/graphql' };

/**
 * Read at run time from ./config.json next to index.html, not baked in at build time, so one build can
 * be pointed at any Gatehouse (the end-to-end test points it at a server on an ephemeral port).
 */
export async function loadConfig(): Promise<AppConfig> {
  const response = await fetch('./config.json', { cache: 'no-store' });
  if (response.status === 404) return DEFAULT_CONFIG;
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  const { graphqlUrl } = (await response.json()) as Partial<AppConfig>;
  return { graphqlUrl: typeof graphqlUrl === 'string' && graphqlUrl ? graphqlUrl : DEFAULT_CONFIG.graphqlUrl };
}

import type { EnvReader } from './env';

export type NodeEnv = 'production' | 'development' | 'test';

export interface RuntimeConfig {
  readonly nodeEnv: NodeEnv;
  readonly production: boolean;
  /** Stack traces in GraphQL responses: only when NODE_ENV=development is set explicitly. */
  readonly exposeStackTraces: boolean;
}

export function readRuntime(r: EnvReader): RuntimeConfig {
  const nodeEnvRaw = r.str('NODE_ENV', 'development');
  if (!['production', 'development', 'test'].includes(nodeEnvRaw)) {
    r.problem(`NODE_ENV must be production, development or test (got "${nodeEnvRaw}")`);
  }
  const nodeEnv = (['production', 'test'].includes(nodeEnvRaw) ? nodeEnvRaw : 'development') as NodeEnv;
  return {
    nodeEnv,
    production: nodeEnv === 'production',
    // Decided on the variable as set, not on nodeEnv: an unset NODE_ENV reads as development (the
    // friendlier defaults for a first `npm start`), but a production server whose NODE_ENV was forgotten
    // must not hand its stack traces to every client. Only someone who asked for development gets them.
    exposeStackTraces: r.env.NODE_ENV === 'development',
  };
}

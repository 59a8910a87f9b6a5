/**
 * The AWS credential provider the bundled functions use instead of the SDK's default chain.
 *
 * Lambda hands a function its role's credentials in environment variables; the default chain's
 * other sources (SSO, INI files, process, web identity, IMDS), and the nested STS/SSO clients they
 * bring, are never used there but made a third of the bundle. `lib/bundling.ts` aliases
 * `@aws-sdk/credential-provider-node` to this module, so only bundles see it; tests and tools that
 * run from source keep the full chain. The local sandbox and tests also pass credentials through
 * the environment, so the bundle works the same there.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

type FromEnvInit = Parameters<typeof fromEnv>[0];

/** Same name and signature as `@aws-sdk/credential-provider-node`'s export: credentials from the environment. */
export const defaultProvider = (init: FromEnvInit = {}) => fromEnv(init);

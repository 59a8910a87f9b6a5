/**
 * A breakdown point of the cold-import benchmark: the four SDK clients the retrier needs plus Node's
 * own `fetch` (undici) starting up, which Node loads lazily on the first use of `Request`/`fetch`.
 * ky builds a `Request` at import (its request-streams feature check), so the retrier pays this at
 * import; any fetch-based client pays it at its first request instead. Against
 * `aws-clients.ts`, it isolates what fetch adds on top of the SDK.
 */
import { handler as awsClientsHandler } from './aws-clients';

new Request('https://empty.invalid');

/** The same calls as `aws-clients.ts`; the measured work is the `Request` above, at import. */
export const handler = awsClientsHandler;

/**
 * The baseline of the cold-import benchmark: a function holding only the two SDK clients the
 * tutorial's flow needs (Secrets Manager and SNS), built at cold start like the retrier builds its
 * clients, with the one command each would send. Bundled with the same esbuild options as the
 * retrier (`lib/bundling.ts`), so the ratio isolates what the retrier adds on top of the SDK.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';

const secrets = new SecretsManagerClient({});
const sns = new SNSClient({});

/** Reads a secret and publishes a message: the least a re-trigger notifier needs from AWS. */
export async function handler(event: { secretId: string; topicArn: string }): Promise<void> {
  await secrets.send(new GetSecretValueCommand({ SecretId: event.secretId }));
  await sns.send(new PublishCommand({ TopicArn: event.topicArn, Message: 'done' }));
}

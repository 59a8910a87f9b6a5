/**
 * The tutorial's flow, scripted literally: the comparison point of the burst. For every alert it
 * reads the credential secret, asks IMS for a token, posts the re-trigger and publishes the new
 * run id, with no cache, no ledger and no de-duplication. Bundled and loaded like the retrier, so
 * both run as a Lambda function would.
 *
 * Environment: `TUTORIAL_SECRET_ID`, `IMS_TOKEN_URL`, `FLOW_SERVICE_URL`, `TUTORIAL_TOPIC_ARN`.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { SNSEvent } from 'aws-lambda';

const secrets = new SecretsManagerClient({});
const sns = new SNSClient({});

interface StoredCredential {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly orgId: string;
  readonly scopes: string | readonly string[];
}

interface FailureAlert {
  readonly id: string;
  readonly sandboxName: string;
  readonly header: { readonly _adobeio: { readonly imsOrgId: string } };
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

async function ok(response: Response, what: string): Promise<Response> {
  if (!response.ok) throw new Error(`${what} answered ${response.status}`);
  return response;
}

async function retrigger(alert: FailureAlert): Promise<void> {
  const secret = await secrets.send(new GetSecretValueCommand({ SecretId: required('TUTORIAL_SECRET_ID') }));
  const stored = JSON.parse(secret.SecretString ?? '{}') as StoredCredential | StoredCredential[];
  const credential = Array.isArray(stored) ? stored[0] : stored;
  if (!credential) throw new Error('the secret holds no credential');
  const scopes = typeof credential.scopes === 'string' ? credential.scopes : credential.scopes.join(',');

  const tokenResponse = await ok(
    await fetch(required('IMS_TOKEN_URL'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: credential.clientId,
        client_secret: credential.clientSecret,
        scope: scopes,
      }),
    }),
    'IMS',
  );
  const { access_token: token } = (await tokenResponse.json()) as { access_token: string };

  const runResponse = await ok(
    await fetch(`${required('FLOW_SERVICE_URL')}/runs/${alert.id}/action?op=re-trigger`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'x-api-key': credential.clientId,
        'x-gw-ims-org-id': alert.header._adobeio.imsOrgId,
        'x-sandbox-name': alert.sandboxName,
        'content-type': 'application/json',
      },
    }),
    'Flow Service re-trigger',
  );
  const { id: newRunId } = (await runResponse.json()) as { id: string };

  await sns.send(
    new PublishCommand({
      TopicArn: required('TUTORIAL_TOPIC_ARN'),
      Message: JSON.stringify({ runId: alert.id, newRunId }),
    }),
  );
}

/** The tutorial's handler: one re-trigger per alert record, whatever came before. */
export async function handler(event: SNSEvent): Promise<void> {
  for (const record of event.Records) {
    await retrigger(JSON.parse(record.Sns.Message) as FailureAlert);
  }
}

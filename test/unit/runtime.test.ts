import { codeMatches, parseRetryPolicy } from '../../contracts/retry-policy';

describe('the test runtime', () => {
  it('runs on Node 24, the Lambda runtime', () => {
    // Assess
    expect(process.version).toMatch(/^v24\./);
  });

  it('points the AWS SDK at the moto_server the global setup started', async () => {
    // Act
    const response = await fetch(`${process.env.AWS_ENDPOINT_URL}/moto-api/`);

    // Assess
    expect(process.env.AWS_ENDPOINT_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(response.status).toBeLessThan(500);
  });
});

describe('contracts smoke', () => {
  it('parses the default policy', () => {
    expect(parseRetryPolicy(undefined).maxAttempts).toBe(3);
    expect(codeMatches('MAPPER-*', 'MAPPER-3700-400')).toBe(true);
  });
});

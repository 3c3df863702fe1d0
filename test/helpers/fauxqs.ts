// A disposable SNS -> SQS setup on fauxqs, built through the real AWS SDK clients the way an operator
// would build it on AWS: a topic, a queue, and an sqs subscription with or without RawMessageDelivery.
// Each call starts its own in-process fauxqs on a free port, so test files can run in parallel.
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SQSClient,
  type SQSClientConfig,
} from '@aws-sdk/client-sqs';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { startFauxqs, type FauxqsServer } from 'fauxqs';

export interface FauxqsHarnessOptions {
  /** Subscribe with RawMessageDelivery=true (the body is the bare SES JSON). Default false (SNS envelope). */
  rawMessageDelivery?: boolean;
  /** The queue's VisibilityTimeout in seconds. Default 30, as on AWS. */
  visibilityTimeoutSeconds?: number;
  queueName?: string;
  topicName?: string;
  /** Enable fauxqs's message spy (server.spy). */
  spy?: boolean;
}

export interface QueueDepth {
  ready: number;
  inflight: number;
  delayed: number;
}

export interface FauxqsHarness {
  server: FauxqsServer;
  /** http://127.0.0.1:PORT */
  endpoint: string;
  region: string;
  /** Pass to `new SQSClient(...)` / `new SNSClient(...)` to make more clients (e.g. with maxAttempts: 1). */
  clientConfig: SQSClientConfig & { endpoint: string; region: string };
  sqs: SQSClient;
  sns: SNSClient;
  queueName: string;
  queueUrl: string;
  queueArn: string;
  topicArn: string;
  subscriptionArn: string;
  /** Publishes to the topic; resolves to the SNS MessageId (the envelope's MessageId). */
  publish(message: string): Promise<string>;
  /** Non-destructive: what the queue holds right now. */
  depth(): QueueDepth;
  stop(): Promise<void>;
}

const REGION = 'us-east-1';

export async function startFauxqsHarness(opts: FauxqsHarnessOptions = {}): Promise<FauxqsHarness> {
  const server = await startFauxqs({ port: 0, logger: false, messageSpies: opts.spy ?? false });
  const clientConfig = {
    endpoint: server.address,
    region: REGION,
    // fauxqs accepts any credentials; static ones keep the SDK away from the real provider chain.
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  const sqs = new SQSClient(clientConfig);
  const sns = new SNSClient(clientConfig);
  try {
    const queueName = opts.queueName ?? 'ses-notifications';
    const created = await sqs.send(
      new CreateQueueCommand({
        QueueName: queueName,
        Attributes: { VisibilityTimeout: String(opts.visibilityTimeoutSeconds ?? 30) },
      }),
    );
    const queueUrl = required(created.QueueUrl, 'CreateQueue QueueUrl');
    const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
    const queueArn = required(attrs.Attributes?.QueueArn, 'GetQueueAttributes QueueArn');
    const topic = await sns.send(new CreateTopicCommand({ Name: opts.topicName ?? 'ses-feedback' }));
    const topicArn = required(topic.TopicArn, 'CreateTopic TopicArn');
    const sub = await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: queueArn,
        Attributes: { RawMessageDelivery: opts.rawMessageDelivery ? 'true' : 'false' },
        ReturnSubscriptionArn: true,
      }),
    );
    const subscriptionArn = required(sub.SubscriptionArn, 'Subscribe SubscriptionArn');
    return {
      server,
      endpoint: server.address,
      region: REGION,
      clientConfig,
      sqs,
      sns,
      queueName,
      queueUrl,
      queueArn,
      topicArn,
      subscriptionArn,
      async publish(message: string): Promise<string> {
        const out = await sns.send(new PublishCommand({ TopicArn: topicArn, Message: message }));
        return required(out.MessageId, 'Publish MessageId');
      },
      depth(): QueueDepth {
        const q = server.inspectQueue(queueName);
        if (!q) throw new Error(`fauxqs has no queue named ${queueName}`);
        return { ready: q.messages.ready.length, inflight: q.messages.inflight.length, delayed: q.messages.delayed.length };
      },
      async stop(): Promise<void> {
        sqs.destroy();
        sns.destroy();
        await server.stop();
      },
    };
  } catch (e) {
    sqs.destroy();
    sns.destroy();
    await server.stop();
    throw e;
  }
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`fauxqs returned no ${what}`);
  return value;
}

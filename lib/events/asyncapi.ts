import { z } from 'zod';
import { EVENT_TYPES, EventSchemas, OPT_IN_EVENT_TYPES, eventSchemaId, type EventType } from './schemas';
import { EVENT_SUBJECT_ROOT } from './subjects';

/** `call.started` → `callStarted`: channel and operation keys. */
const camel = (type: EventType): string => type.replace(/[._]([a-z])/g, (_m, c: string) => c.toUpperCase());

export interface AsyncApiOptions {
  /** NATS server as clients reach it, `host:port`. @default '127.0.0.1:4222' */
  natsHost?: string;
  /** @default '0.1.0' */
  version?: string;
}

/**
 * The AsyncAPI 3.0 document of CTICloud's events, generated from the same zod schemas that check every
 * published event. One channel per event type (its subject, tenant as a parameter), one receive operation
 * per channel, one message per type whose payload is the event's JSON Schema.
 */
export function buildAsyncApiDocument(options: AsyncApiOptions = {}): Record<string, unknown> {
  const schemas: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  for (const type of EVENT_TYPES) {
    const id = eventSchemaId(type);
    const key = camel(type);
    const { $schema: _ignored, ...schema } = z.toJSONSchema(EventSchemas[type], {
      target: 'draft-7',
      // Input side: no additionalProperties: false, so a field added later does not break a receiver's validator.
      io: 'input',
      unrepresentable: 'any',
    });
    const description = EventSchemas[type].description ?? type;
    schemas[id] = schema;
    messages[id] = {
      name: type,
      title: type,
      summary: description,
      contentType: 'application/json',
      payload: { $ref: `#/components/schemas/${id}` },
      ...(OPT_IN_EVENT_TYPES.includes(type)
        ? { description: 'Opt-in for webhooks: delivered only to webhooks that list it.' }
        : {}),
    };
    channels[key] = {
      address: `${EVENT_SUBJECT_ROOT}.{tenantId}.events.${type}`,
      title: type,
      description,
      parameters: { tenantId: { $ref: '#/components/parameters/tenantId' } },
      messages: { [id]: { $ref: `#/components/messages/${id}` } },
    };
    operations[`receive${key[0]!.toUpperCase()}${key.slice(1)}`] = {
      action: 'receive',
      summary: `Receive ${type} events`,
      channel: { $ref: `#/channels/${key}` },
      messages: [{ $ref: `#/channels/${key}/messages/${id}` }],
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'CTICloud events',
      version: options.version ?? '0.1.0',
      description: [
        'Domain events of a CTICloud tenant. Each is published on NATS JetStream (stream `EVENTS`, kept 7 days)',
        'at `cticloud.<tenant>.events.<type>`; the same JSON is POSTed to webhooks (signed, see',
        '`X-CTICloud-Signature` in docs/webhooks.md) and streamed by `GET /v1/events` as server-sent events.',
        'Every event is an envelope `{ id, type, tenantId, occurredAt, data }`; `id` is unique per event.',
      ].join(' '),
    },
    defaultContentType: 'application/json',
    servers: {
      nats: {
        host: options.natsHost ?? '127.0.0.1:4222',
        protocol: 'nats',
        description: 'The cluster NATS; the EVENTS JetStream stream holds every subject below.',
      },
    },
    channels,
    operations,
    components: {
      schemas,
      messages,
      parameters: {
        tenantId: { description: 'The tenant id: lowercase letters, digits and dashes.' },
      },
    },
  };
}

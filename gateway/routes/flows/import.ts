import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Role } from '../../../lib/api-keys';
import {
  convertTwilioStudio,
  ImportIssue,
  MAX_IMPORT_WORK,
  TwilioStudioFlow,
  type TwilioImport,
  type TwilioImportOptions,
} from '../../../lib/flow-import/twilio-studio';
import { FlowDefinition } from '../../../domain/flow/definition';
import { WorkBudgetExceeded } from '../../../domain/work-budget';
import { InvalidFieldError } from '../../errors';
import { ErrorBody } from '../../plugins/error-handler';
import { Flow, FlowInput } from './schemas';
import { FlowStore } from './store';

const editors = [Role.Admin, Role.Developer] as const;
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 409: ErrorBody };

const TwilioStudioImport = z
  .object({
    name: FlowInput.shape.name,
    description: FlowInput.shape.description,
    /** The flow's JSON as Studio exports it, or as the Studio REST API returns it in `definition`. */
    definition: TwilioStudioFlow,
    /** Twilio subflow SID (`FW…`) → the CTICloud flow `run-subflow` widgets become subflow nodes of. */
    subflows: z.record(z.string(), z.string().uuid('a flow id is a UUID')).optional(),
    /** Queue name or TaskRouter workflow SID → the CTICloud queue for `enqueue-call` and `send-to-flex`. */
    queues: z.record(z.string(), z.string().uuid('a queue id is a UUID')).optional(),
  })
  .meta({ id: 'TwilioStudioImport' });

const ImportResult = z
  .object({ flow: Flow, report: z.array(ImportIssue) })
  .meta({ id: 'TwilioStudioImportResult' });

/**
 * The import of the body's flow (the schema parsed it already), a flow too large for its work budget answered
 * 400 naming the definition, as a schema would.
 */
function convert(definition: TwilioStudioFlow, options: TwilioImportOptions): TwilioImport {
  try {
    return convertTwilioStudio(definition, options);
  } catch (err) {
    if (!(err instanceof WorkBudgetExceeded)) throw err;
    throw new InvalidFieldError(
      'body.definition',
      `the flow is too large to import: it needs more than ${err.limit} units of work (one per state, ` +
        'transition, condition, template, Liquid tag, "any of" value and report entry); import it in parts',
    );
  }
}

/** Imports from other IVR builders, as new flow drafts. */
const flowImport: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/import/twilio-studio',
    {
      config: { roles: editors },
      schema: {
        tags: ['flows'],
        summary:
          'Import a Twilio Studio flow as a new flow draft, with a report of what could not be mapped exactly',
        description:
          'Converts a Studio flow definition (states, transitions, Liquid variables) into the flow language and ' +
          'creates the flow with it as its draft. Say/Play, Gather Input On Call, Split Based On, Set Variables, ' +
          'Make HTTP Request, Connect Call To (number or SIP), Record Voicemail map to nodes; Run Subflow and ' +
          'Enqueue Call / Send to Flex map when `subflows` / `queues` say which CTICloud flow or queue a Twilio ' +
          'SID or queue name is. Any other widget becomes a hangup node labelled `Unmapped: <type> <name>`. ' +
          'Every report entry names the state and says whether it was left out (`unmapped`) or imported with ' +
          'a difference (`approximated`). The draft is not validated: validate it before publishing. A flow ' +
          `needing more than ${MAX_IMPORT_WORK} units of work (one per state, transition, condition, template, ` +
          'Liquid tag, "any of" value and report entry; a 499-widget IVR needs about 3,000) is answered 400.',
        body: TwilioStudioImport,
        response: { 201: ImportResult, ...errors },
      },
    },
    async (request, reply) => {
      const { name, description, definition, subflows, queues } = request.body;
      const { definition: converted, report } = convert(definition, { subflows, queues });
      // The Studio schema bounds the widget count, but a huge flow can still exceed other limits of ours.
      const checked = FlowDefinition.safeParse(converted);
      if (!checked.success) {
        const issue = checked.error.issues[0]!;
        throw new InvalidFieldError(
          'body.definition',
          `the imported flow exceeds a limit: ${issue.path.join('.')}: ${issue.message}`,
        );
      }
      const flow = await new FlowStore(app.pg, request.principal.tenantId).create({
        name,
        description,
        definition: checked.data,
      });
      return reply.code(201).send({ flow, report });
    },
  );
};

export default flowImport;

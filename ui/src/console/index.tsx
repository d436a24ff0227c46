import { canSupervise } from '../api/me';
import type { PageSpec } from '../pages';

// Filled in by the supervisor console.
export const consolePages: PageSpec[] = [
  { section: 'calls', title: 'Live calls', visible: canSupervise, render: () => <h1>Live calls</h1> },
  { section: 'queues', title: 'Queues', visible: canSupervise, render: () => <h1>Queues</h1> },
  { section: 'agents', title: 'Agents', visible: canSupervise, render: () => <h1>Agents</h1> },
  { section: 'callbacks', title: 'Callbacks', visible: canSupervise, render: () => <h1>Callbacks</h1> },
  {
    section: 'campaigns',
    title: 'Campaigns',
    visible: (me) => me.role !== 'agent',
    render: () => <h1>Campaigns</h1>,
  },
  { section: 'tickets', title: 'Tickets', visible: () => true, render: () => <h1>Tickets</h1> },
];

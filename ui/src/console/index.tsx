import { canSupervise } from '../api/me';
import type { PageSpec } from '../pages';
import { Agents, MyState } from './Agents';
import { AuditPage } from './Audit';
import { ReportsPage } from './Reports';
import { CallDetail } from './CallDetail';
import { Callbacks } from './Callbacks';
import { Campaigns } from './Campaigns';
import { LiveCalls } from './LiveCalls';
import { Queues } from './Queues';
import { SitesPage } from './Sites';
import { Tickets } from './Tickets';
import './console.css';

export const consolePages: PageSpec[] = [
  {
    section: 'calls',
    title: 'Live calls',
    visible: canSupervise,
    render: ([id]) => (id ? <CallDetail key={id} id={id} /> : <LiveCalls />),
  },
  { section: 'queues', title: 'Queues', visible: canSupervise, render: () => <Queues /> },
  { section: 'agents', title: 'Agents', visible: canSupervise, render: () => <Agents /> },
  { section: 'me', title: 'My state', visible: (me) => me.role === 'agent', render: () => <MyState /> },
  { section: 'callbacks', title: 'Callbacks', visible: canSupervise, render: () => <Callbacks /> },
  {
    section: 'campaigns',
    title: 'Campaigns',
    visible: (me) => me.role !== 'agent' && me.role !== 'operator',
    render: () => <Campaigns />,
  },
  {
    section: 'tickets',
    title: 'Tickets',
    // The platform operator never reads a tenant's data (the API refuses it).
    visible: (me) => me.role !== 'operator',
    render: ([id]) => <Tickets key={id} id={id} />,
  },
  { section: 'reports', title: 'Reports', visible: canSupervise, render: () => <ReportsPage /> },
  { section: 'audit', title: 'Audit log', visible: canSupervise, render: () => <AuditPage /> },
  { section: 'sites', title: 'Sites', visible: (me) => me.role === 'operator', render: () => <SitesPage /> },
];

import { canEdit } from '../api/me';
import type { PageSpec } from '../pages';
import { FlowEditor } from './Editor';
import { FlowsList } from './FlowsList';
import { NumbersPage } from './NumbersPage';

/** The flow designer's pages: flows list and editor, and number assignment. */
export const designerPages: PageSpec[] = [
  {
    section: 'flows',
    title: 'Flows',
    visible: canEdit,
    // The editor is keyed by flow so switching flows starts a fresh store and canvas.
    render: ([id]) => (id ? <FlowEditor key={id} flowId={id} /> : <FlowsList />),
  },
  { section: 'numbers', title: 'Numbers', visible: canEdit, render: () => <NumbersPage /> },
];

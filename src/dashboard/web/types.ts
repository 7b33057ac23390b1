/**
 * The shapes of the admin routes' answers: the document and its panels are declared once on the
 * server side (src/dashboard/shapes.ts, no imports; type-only, so nothing of it is bundled).
 */
export type {
  Cell,
  DashboardDocument,
  InstanceRow,
  InstanceState,
  PanelAction,
  PanelAnswer,
  PlotHistory,
  ServerRow,
} from '../shapes.js';

export interface SessionInfo {
  via: 'session' | 'token';
  login: string | null;
  csrfToken: string | null;
}

import { lazy } from 'react';
import type { ComponentType, LazyExoticComponent } from 'react';

export interface ViewEntry {
  id: string;
  title: string;
  /** A single glyph, so the nav needs no icon font. */
  icon: string;
  component: LazyExoticComponent<ComponentType>;
}

/** Every screen, in nav order. A capability adds its view here with one line. */
export const views: ViewEntry[] = [
  { id: 'connect', title: 'Clusters', icon: '⎈', component: lazy(() => import('../views/connect/ConnectView')) },
  { id: 'graph', title: 'Graph', icon: '◉', component: lazy(() => import('../views/graph/GraphView')) },
  { id: 'traffic', title: 'Traffic', icon: '⇄', component: lazy(() => import('../views/traffic/TrafficView')) },
  { id: 'events', title: 'Events', icon: '≣', component: lazy(() => import('../views/events/EventsView')) },
  { id: 'projections', title: 'Projections', icon: '◷', component: lazy(() => import('../views/projections/ProjectionsView')) },
  { id: 'sagas', title: 'Sagas', icon: '⇶', component: lazy(() => import('../views/sagas/SagasView')) },
  { id: 'canary', title: 'Canary', icon: '⤴', component: lazy(() => import('../views/canary/CanaryView')) },
  { id: 'settings', title: 'Settings', icon: '⚙', component: lazy(() => import('../views/settings/SettingsView')) },
];

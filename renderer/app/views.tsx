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
];

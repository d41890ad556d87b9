export { createProjectionsService } from './service';
export type { ProjectionsService, StoreAccess } from './service';
export { projectionsHandlers } from './handlers';
export { projectionGates } from './gates';
export type { ProjectionGates } from './gates';

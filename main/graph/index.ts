export { graphHandlers } from './handlers';
export { createGraphService } from './service';
export type { GraphService, GraphServiceOptions } from './service';
export { graphSources } from './sources';
export type { GraphSources, PromQuerier, RoutingReader, RoutingSnapshot, Sample, RangeSample } from './ports';

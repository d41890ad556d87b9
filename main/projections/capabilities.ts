import type { SchemaKind } from '../../shared/contract/events';
import { classicProgress } from '../eventstore/adapters/classic/progress';
import { customProgress } from '../eventstore/adapters/custom/progress';
import { emmettProgress } from '../eventstore/adapters/emmett/progress';
import { eventuousProgress } from '../eventstore/adapters/eventuous/progress';
import { martenProgress } from '../eventstore/adapters/marten/progress';
import { messageDbProgress } from '../eventstore/adapters/messagedb/progress';
import type { ProgressCapability } from './types';

/** The optional progress capability per schema family (adapters/<kind>/progress.ts). */
export const PROGRESS: Record<SchemaKind, ProgressCapability> = {
  classic: classicProgress,
  custom: customProgress,
  marten: martenProgress,
  emmett: emmettProgress,
  eventuous: eventuousProgress,
  messagedb: messageDbProgress,
};

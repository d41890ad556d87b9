import type { AdapterFamily } from './types';
import { classicFamily } from './classic';
import { messageDbFamily } from './messagedb';
import { martenFamily } from './marten';
import { emmettFamily } from './emmett';
import { eventuousFamily } from './eventuous';

/** Every known schema family. Adding one is adding a folder and a line here. */
export const FAMILIES: readonly AdapterFamily[] = [classicFamily, messageDbFamily, martenFamily, emmettFamily, eventuousFamily];

export { describeCustom, suggestMapping } from './custom';

// Every source of images, by data.source: one line each (a source is one file in src/data/sources/).
import { bundled } from './sources/bundled';
import { fashion } from './sources/fashion';
import { idx } from './sources/idx';
import { mnist } from './sources/mnist';
import type { ImageSource } from './sources/types';

export const SOURCES = { bundled, mnist, idx, fashion } as const satisfies Record<string, ImageSource>;
export type SourceName = keyof typeof SOURCES;
export const SOURCE_NAMES = Object.keys(SOURCES) as [SourceName, ...SourceName[]];

export { parseBtf, Btf, BtfParseResult, MemberListOptions } from './reader';
export { generateVmlinuxH, VmlinuxHeaderOptions } from './c-header';
export { FormatOptions } from './c-decl';
export { dumpBtfRaw } from './raw-dump';
export * from './types';

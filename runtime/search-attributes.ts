import type { SearchAttributeType } from '@temporalio/common';
import proto from '@temporalio/proto';
import type { Connection } from '@temporalio/client';
import { searchAttributes } from '../workflows/search-attributes';

// @temporalio/proto is CommonJS: under ESM only its default export is visible.
const { temporal } = proto;

const cliTypeName: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
const indexedValueType: Record<SearchAttributeType, (typeof IndexedValueType)[keyof typeof IndexedValueType]> = {
  TEXT: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  INT: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/** `Name=Type` pairs in the form `temporal server start-dev --search-attribute` and docker-compose take. */
export function searchAttributeFlags(): string[] {
  return searchAttributes.map((key) => `${key.name}=${cliTypeName[key.type]}`);
}

/** Registers our search attributes on a running server (the time-skipping server has no flag for it). */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(searchAttributes.map((key) => [key.name, indexedValueType[key.type]])),
  });
}

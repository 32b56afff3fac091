import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';

// Temporal keeps a closed dispute's workflow for its namespace's retention only; the records store
// keeps the record for good. Retention is set on purpose: long enough to see a closed dispute in
// the Web UI and to `records sync` after a restore, short enough that Temporal is not the archive.

export async function setNamespaceRetention(address: string, namespace: string, days: number): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    await connection.workflowService.updateNamespace({ namespace, config: { workflowExecutionRetentionTtl: msToTs(days * 86_400_000) } });
  } finally {
    await connection.close();
  }
}

export async function namespaceRetentionDays(address: string, namespace: string): Promise<number> {
  const connection = await Connection.connect({ address });
  try {
    const described = await connection.workflowService.describeNamespace({ namespace });
    return Number(described.config?.workflowExecutionRetentionTtl?.seconds ?? 0) / 86_400;
  } finally {
    await connection.close();
  }
}

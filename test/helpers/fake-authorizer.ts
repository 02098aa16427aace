// An authorizer for handler tests that allows exactly the listed "OPERATION type:name" strings
// (e.g. 'READ group:g') and records every check it was asked, in order.
import { AclOperation, type AclResource, type Authorizer } from '../../src/acceptor/authorized-operations.ts';

const operationName = (op: number): string => Object.entries(AclOperation).find(([, v]) => v === op)![0];

export function allowOnlyAuthorizer(allowed: readonly string[], asked: string[]): Authorizer {
  return {
    authorize: (_principal: string, op: number, r: AclResource) => {
      const key = `${operationName(op)} ${r.type}:${r.name}`;
      asked.push(key);
      return allowed.includes(key);
    },
  };
}

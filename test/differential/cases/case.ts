// What a differential case is: a named sequence of requests, run the same way against each broker.
import type { Answer, Session } from '../session.ts';

export interface CaseContext {
  session: Session;
  /** Sends a request whose answer is compared; labels are unique within the case. */
  call(label: string, apiKey: number, version: number, body: unknown, view?: (response: Answer) => unknown): Promise<Answer>;
  /** The versions of an API that Highwater advertises, oldest first: every one is exercised. */
  versions(apiKey: number): number[];
}

export interface Case {
  name: string;
  run(c: CaseContext): Promise<void>;
}

import { GraphQLError, Kind, type FragmentDefinitionNode, type SelectionSetNode, type ValidationRule } from 'graphql';
import { AUTH_OPERATIONS } from '../config/operations';

/** The fields an attacker would repeat with aliases to guess passwords or tokens in one request. */
export const AUTH_FIELDS: ReadonlySet<string> = new Set(AUTH_OPERATIONS.filter((op) => op.authField).map((op) => op.name));

/**
 * Rejects, before anything executes, an operation that holds more than `max` authentication fields
 * (however they are spelled: aliases, fragments, inline fragments), so one HTTP request cannot carry
 * a hundred password guesses. Each fragment is counted once and remembered, so a chain of fragments
 * that spread each other twice costs linear time, not exponential.
 */
export function authFieldLimitRule(max: number): ValidationRule {
  return (context) => {
    const fragmentCounts = new Map<string, number>();
    const countFragment = (fragment: FragmentDefinitionNode, visiting: Set<string>): number => {
      const name = fragment.name.value;
      const known = fragmentCounts.get(name);
      if (known !== undefined) return known;
      // A cycle is reported by graphql-js's own NoFragmentCycles rule; here it just counts nothing.
      if (visiting.has(name)) return 0;
      visiting.add(name);
      const total = count(fragment.selectionSet, visiting);
      visiting.delete(name);
      fragmentCounts.set(name, total);
      return total;
    };
    const count = (selectionSet: SelectionSetNode, visiting: Set<string>): number => {
      let total = 0;
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) total += AUTH_FIELDS.has(selection.name.value) ? 1 : 0;
        else if (selection.kind === Kind.INLINE_FRAGMENT) total += count(selection.selectionSet, visiting);
        else {
          const fragment = context.getFragment(selection.name.value);
          if (fragment) total += countFragment(fragment, visiting);
        }
        // Past the limit the exact number no longer matters (and cannot grow without bound).
        if (total > max) return total;
      }
      return total;
    };
    return {
      OperationDefinition(operation) {
        if (count(operation.selectionSet, new Set()) > max) {
          context.reportError(new GraphQLError(`An operation may contain at most ${max} of ${[...AUTH_FIELDS].join(', ')}.`, { nodes: [operation] }));
        }
      },
    };
  };
}

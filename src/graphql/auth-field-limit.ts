import { GraphQLError, Kind, type SelectionSetNode, type ValidationRule } from 'graphql';

/** The fields an attacker would repeat with aliases to guess passwords or tokens in one request. */
export const AUTH_FIELDS = new Set(['login', 'register', 'refresh', 'changePassword']);

/**
 * Rejects, before anything executes, an operation that holds more than `max` authentication fields
 * (however they are spelled: aliases, fragments, inline fragments), so one HTTP request cannot carry
 * a hundred password guesses.
 */
export function authFieldLimitRule(max: number): ValidationRule {
  return (context) => {
    const count = (selectionSet: SelectionSetNode, seen: Set<string>): number =>
      selectionSet.selections.reduce((total, selection) => {
        if (selection.kind === Kind.FIELD) return total + (AUTH_FIELDS.has(selection.name.value) ? 1 : 0);
        if (selection.kind === Kind.INLINE_FRAGMENT) return total + count(selection.selectionSet, seen);
        const name = selection.name.value;
        const fragment = context.getFragment(name);
        if (!fragment || seen.has(name)) return total;
        return total + count(fragment.selectionSet, new Set([...seen, name]));
      }, 0);
    return {
      OperationDefinition(operation) {
        if (count(operation.selectionSet, new Set()) > max) {
          context.reportError(
            new GraphQLError(`An operation may contain at most ${max} of ${[...AUTH_FIELDS].join(', ')}.`, { nodes: [operation] }),
          );
        }
      },
    };
  };
}

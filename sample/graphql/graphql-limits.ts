import {
  GraphQLError,
  Kind,
  NoSchemaIntrospectionCustomRule,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type ParseOptions,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

/**
 * What one GraphQL request may cost the sample, on both drivers. Every operation of the sample is
 * far below these; an abusive one is refused with 400 before it is executed, and most before it is
 * validated (graphql-js's own validation is quadratic in the number of fields that may merge:
 * 6,000 aliases of one field held the event loop for seconds).
 * - `maxBodyBytes`: the JSON body, checked by the HTTP server before anything is parsed (413);
 * - `maxTokens`: the parser gives up past this many tokens;
 * - `maxAliases`, `maxRootFields`, `maxDepth`: validation rules, fragments included.
 */
export const GRAPHQL_LIMITS = {
  maxBodyBytes: 16 * 1024,
  maxTokens: 1000,
  maxAliases: 15,
  maxRootFields: 10,
  maxDepth: 8,
} as const;

export type GraphqlLimits = typeof GRAPHQL_LIMITS;

/** The parser's options for both drivers (Apollo `parseOptions`, Mercurius `graphql.parseOptions`). */
export function graphqlParseOptions(limits: GraphqlLimits = GRAPHQL_LIMITS): ParseOptions {
  return { maxTokens: limits.maxTokens };
}

/**
 * The validation rules added to graphql-js's own, for both drivers: the cost caps, and outside
 * development no introspection (the schema is not published to whoever asks).
 */
export function graphqlValidationRules(development: boolean, limits: GraphqlLimits = GRAPHQL_LIMITS): ValidationRule[] {
  const rules: ValidationRule[] = [costLimitsRule(limits)];
  if (!development) rules.push(NoSchemaIntrospectionCustomRule);
  return rules;
}

/** graphql-js's "Did you mean …?" tail of a validation message (it names fields and types of the schema). */
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

/**
 * A message without schema suggestions, outside development. Apollo does this itself
 * (`hideSchemaDetailsFromClientErrors`); Mercurius's errors go through this in its error formatter.
 */
export function withoutSuggestions(message: string): string {
  return message.replace(SUGGESTION, '');
}

/**
 * One rule for aliases, root fields and depth, run when the document is entered: it walks each
 * operation once, fragments expanded, with each fragment's figures computed once (a fragment
 * spread twice in another spread twice … costs no more), and a fragment cycle counting nothing
 * (graphql-js reports the cycle itself). It reports what is over a cap.
 */
function costLimitsRule(limits: GraphqlLimits): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    Document(document) {
      const figures = new FragmentFigures(document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION));
      let aliases = 0;
      for (const definition of document.definitions) {
        // Aliases are counted where they are written: a fragment's once, however often it is spread.
        if (definition.kind === Kind.OPERATION_DEFINITION || definition.kind === Kind.FRAGMENT_DEFINITION) {
          aliases += countAliases(definition.selectionSet);
        }
      }
      if (aliases > limits.maxAliases) {
        context.reportError(new GraphQLError(`The document has ${aliases} aliases; at most ${limits.maxAliases} are allowed.`));
      }
      for (const definition of document.definitions) {
        if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
        const name = definition.name ? `Operation "${definition.name.value}"` : 'The operation';
        const rootFields = figures.fields(definition.selectionSet);
        if (rootFields > limits.maxRootFields) {
          context.reportError(
            new GraphQLError(`${name} selects ${rootFields} root fields; at most ${limits.maxRootFields} are allowed.`, {
              nodes: definition,
            }),
          );
        }
        const depth = figures.depth(definition.selectionSet);
        if (depth > limits.maxDepth) {
          context.reportError(
            new GraphQLError(`${name} has a depth of ${depth}; at most ${limits.maxDepth} is allowed.`, { nodes: definition }),
          );
        }
      }
      // Nothing below the document needs this rule.
      return false;
    },
  });
}

function countAliases(set: SelectionSetNode | undefined): number {
  if (!set) return 0;
  let count = 0;
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD && selection.alias) count++;
    if (selection.kind === Kind.FIELD || selection.kind === Kind.INLINE_FRAGMENT) count += countAliases(selection.selectionSet);
  }
  return count;
}

/**
 * Fields and depth of selection sets through their fragments, each fragment's computed once.
 * Depth: a field with no selection is 1 deep; introspection fields (`__schema`, `__type`) are
 * not counted: they are refused outside development, and the standard introspection query is
 * deeper than any operation of the sample.
 */
class FragmentFigures {
  private readonly fragments = new Map<string, FragmentDefinitionNode>();
  private readonly fieldCounts = new Map<string, number>();
  private readonly depths = new Map<string, number>();
  private readonly visiting = new Set<string>();

  constructor(definitions: readonly FragmentDefinitionNode[]) {
    for (const definition of definitions) this.fragments.set(definition.name.value, definition);
  }

  /** Fields selected by `set` itself (not below them), through its fragments. */
  fields(set: SelectionSetNode): number {
    let count = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) count++;
      else if (selection.kind === Kind.INLINE_FRAGMENT) count += this.fields(selection.selectionSet);
      else count += this.ofFragment(selection.name.value, this.fieldCounts, (fragment) => this.fields(fragment.selectionSet));
    }
    return count;
  }

  depth(set: SelectionSetNode): number {
    let depth = 0;
    for (const selection of set.selections) {
      let below: number;
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith('__')) continue;
        below = 1 + (selection.selectionSet ? this.depth(selection.selectionSet) : 0);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        below = this.depth(selection.selectionSet);
      } else {
        below = this.ofFragment(selection.name.value, this.depths, (fragment) => this.depth(fragment.selectionSet));
      }
      depth = Math.max(depth, below);
    }
    return depth;
  }

  /** A figure of the fragment `name`, computed once; 0 for an unknown fragment or one already being computed (a cycle). */
  private ofFragment(name: string, memo: Map<string, number>, compute: (fragment: FragmentDefinitionNode) => number): number {
    const known = memo.get(name);
    if (known !== undefined) return known;
    const fragment = this.fragments.get(name);
    const key = `${memo === this.depths ? 'depth' : 'fields'}:${name}`;
    if (!fragment || this.visiting.has(key)) return 0;
    this.visiting.add(key);
    const figure = compute(fragment);
    this.visiting.delete(key);
    memo.set(name, figure);
    return figure;
  }
}

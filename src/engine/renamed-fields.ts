/**
 * How a record tells the column tracker that some of its field names were disambiguated: two source fields
 * that flatten or snake_case to one name (`fooBar` and `foo_bar`) both survive, the later one under a
 * suffixed name (`foo_bar__2`). The transform that renamed them sets this non-enumerable property on the
 * record (only records of a colliding shape carry it): output name → source path.
 */
export const RENAMED_FIELDS: unique symbol = Symbol('tributary.renamedFields');

export type RenamedFields = Readonly<Record<string, string>>;

export function renamedFieldsOf(record: object): RenamedFields | undefined {
  return (record as { [RENAMED_FIELDS]?: RenamedFields })[RENAMED_FIELDS];
}

import { describe, expect, it } from 'vitest';
import { readCsv } from '../../src/apps/qr/import/csv.js';
import { parseRoster } from '../../src/apps/qr/import/roster.js';

describe('readCsv', () => {
  it('reads quoted fields, escaped quotes, embedded line breaks, CRLF and a BOM', () => {
    const text = '\ufeffid,name\r\n1,"Doe, Jane"\r\n2,"say ""hi"""\n3,"two\nlines"\n\n4,plain\n';
    expect([...readCsv(text)]).toEqual([
      { line: 1, fields: ['id', 'name'] },
      { line: 2, fields: ['1', 'Doe, Jane'] },
      { line: 3, fields: ['2', 'say "hi"'] },
      { line: 4, fields: ['3', 'two\nlines'] },
      { line: 7, fields: ['4', 'plain'] },
    ]);
  });

  it('uses semicolons when the header has them and no commas', () => {
    expect([...readCsv('id;name\n1;Doe, Jane\n')]).toEqual([
      { line: 1, fields: ['id', 'name'] },
      { line: 2, fields: ['1', 'Doe, Jane'] },
    ]);
  });

  it('reports a bad record with its line and carries on', () => {
    expect([...readCsv('id,name\n1,a"b\n2,"x"y\n3,ok\n4,"never closed\n5,lost')]).toEqual([
      { line: 1, fields: ['id', 'name'] },
      { line: 2, error: 'a quote inside an unquoted field' },
      { line: 3, error: 'text after a closing quote' },
      { line: 4, fields: ['3', 'ok'] },
      { line: 5, error: 'a quoted field is not closed' },
    ]);
  });
});

describe('parseRoster', () => {
  it('imports good rows and lists every bad one with its reason', () => {
    const csv = [
      'Student ID,Full Name,email',
      '1001,Ada Lovelace,ada@example.com',
      '1002,  Alan Turing  ,alan@example.com',
      ',No Id,x',
      'bad id,Space In Id,x',
      '1003,,x',
      '1001,Duplicate,x',
      '1004,Too,Many,Fields',
      '1005',
      `1006,${'n'.repeat(201)},x`,
      '1007,Bell\u0007,x',
      '1008,"Grace ""Amazing"" Hopper",x',
      '1009,"broken"quote,x',
      'S-2021.07_b,Textual Id,x',
    ].join('\n');
    const { rows, skipped } = parseRoster(csv, 'student');
    expect(rows).toEqual([
      { line: 2, id: '1001', name: 'Ada Lovelace' },
      { line: 3, id: '1002', name: 'Alan Turing' },
      { line: 12, id: '1008', name: 'Grace "Amazing" Hopper' },
      { line: 14, id: 'S-2021.07_b', name: 'Textual Id' },
    ]);
    expect(skipped).toEqual([
      { line: 4, reason: 'id is empty' },
      { line: 5, id: 'bad id', reason: expect.stringMatching(/^id must be/) },
      { line: 6, id: '1003', reason: 'name is empty' },
      { line: 7, id: '1001', reason: 'duplicate id, first on line 2' },
      { line: 8, id: '1004', reason: 'expected 3 fields, found 4' },
      { line: 9, id: '1005', reason: 'expected 3 fields, found 1' },
      { line: 10, id: '1006', reason: 'name is longer than 200 characters' },
      { line: 11, id: '1007', reason: 'name contains control characters' },
      { line: 13, reason: 'not valid CSV: text after a closing quote' },
    ]);
  });

  it('accepts the kind-specific column names, in any order', () => {
    const { rows } = parseRoster('stall_name,stall_id\nFood Court,F-1\n', 'stall');
    expect(rows).toEqual([{ line: 2, id: 'F-1', name: 'Food Court' }]);
  });

  it('refuses a file without an id and a name column, or an empty one', () => {
    expect(() => parseRoster('', 'student')).toThrow(/empty/);
    expect(() => parseRoster('number,title\n1,x\n', 'student')).toThrow(/id column/);
    expect(() => parseRoster('stall_id,name\n1,x\n', 'student')).toThrow(/id column/);
    expect(() => parseRoster('"id,name\n1,x\n', 'student')).toThrow(/header/);
  });
});

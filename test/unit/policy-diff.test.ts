import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { changed, tokens, wordDiff, type DiffPart } from '../../src/privacy/policy/diff.ts';

// The redline's word diff: what it marks removed and added, and that it always rebuilds both texts.

const side = (parts: readonly DiffPart[], kind: 'removed' | 'added') => parts.filter((p) => p.kind !== kind).map((p) => p.text).join('');
const marked = (parts: readonly DiffPart[]) => parts.filter((p) => p.kind !== 'same').map((p) => [p.kind, p.text]);

test('a word added, a word removed and a word replaced are marked and nothing else', () => {
  assert.deepEqual(marked(wordDiff('We never sell it.', 'We never sell or rent it.')), [['added', 'or rent ']]);
  assert.deepEqual(marked(wordDiff('kept for at least 3 years', 'kept for 3 years')), [['removed', 'at least ']]);
  assert.deepEqual(marked(wordDiff('gone after 24 months', 'gone after 18 months')), [
    ['removed', '24'],
    ['added', '18'],
  ]);
});

test('equal texts have no change; an empty side is all added or all removed', () => {
  assert.equal(changed(wordDiff('the same words', 'the same words')), false);
  assert.deepEqual(wordDiff('', 'new text'), [{ kind: 'added', text: 'new text' }]);
  assert.deepEqual(wordDiff('old text', ''), [{ kind: 'removed', text: 'old text' }]);
  assert.deepEqual(wordDiff('', ''), []);
});

test('words that moved keep the longest run in common and mark the rest', () => {
  const parts = wordDiff('a b c d e', 'a c d b e');
  assert.equal(parts.filter((p) => p.kind === 'same').map((p) => p.text).join('').replace(/\s+/g, ' ').trim(), 'a c d e');
});

test('tokens keep every character, spaces and line breaks included', () => {
  assert.deepEqual(tokens('one  two\nthree'), ['one', '  ', 'two', '\n', 'three']);
});

test('for any two texts, the unchanged and removed parts rebuild the old one and the unchanged and added parts the new one', () => {
  const text = fc.array(fc.constantFrom('we', 'keep', 'your', 'data', ' ', '\n', 'never', 'sell'), { maxLength: 40 }).map((words) => words.join(''));
  fc.assert(
    fc.property(text, text, (before, after) => {
      const parts = wordDiff(before, after);
      assert.equal(side(parts, 'added'), before);
      assert.equal(side(parts, 'removed'), after);
      // Neighbours of one kind are merged, so a redline never shows two marks back to back of the same kind.
      for (let i = 1; i < parts.length; i++) assert.notEqual(parts[i]!.kind, parts[i - 1]!.kind);
    }),
  );
});

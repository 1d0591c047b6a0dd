import { describe, expect, it } from 'vitest';
import { decidersToName, namedDeciders, standsFor } from '../../src/approvals/deciders.ts';

const until = new Date('2030-01-01T00:00:00Z');
const away = (userId: string, delegateUserId: string) => ({ userId, delegateUserId, endsAt: until });

describe('who may decide', () => {
  it('anyone, as themselves, when no approvers are set (escalation contacts change nothing)', () => {
    const rights = { approverUserIds: [], escalationUserIds: ['UBOSS'] };
    expect(namedDeciders(rights)).toEqual([]);
    expect(standsFor(rights, 'UANY', [])).toEqual(['UANY']);
  });

  it('approvers and escalation contacts as themselves; others not at all', () => {
    const rights = { approverUserIds: ['UA', 'UB'], escalationUserIds: ['UBOSS', 'UA'] };
    expect(namedDeciders(rights)).toEqual(['UA', 'UB', 'UBOSS']);
    expect(standsFor(rights, 'UB', [])).toEqual(['UB']);
    expect(standsFor(rights, 'UBOSS', [])).toEqual(['UBOSS']);
    expect(standsFor(rights, 'UX', [])).toBeNull();
  });

  it('a delegate stands for each named person away who chose them, and only those', () => {
    const rights = { approverUserIds: ['UA', 'UB'], escalationUserIds: [] };
    expect(standsFor(rights, 'UD', [away('UA', 'UD'), away('UB', 'UD')])).toEqual(['UA', 'UB']);
    // A delegation from someone not named gives no right; one naming another delegate is not theirs.
    expect(standsFor(rights, 'UD', [away('UZ', 'UD'), away('UA', 'UE')])).toBeNull();
    // An approver who is also a delegate counts first as themselves.
    expect(standsFor(rights, 'UB', [away('UA', 'UB')])).toEqual(['UB', 'UA']);
  });

  it('names each named person with their running delegate', () => {
    const rights = { approverUserIds: ['UA', 'UB'], escalationUserIds: ['UC'] };
    expect(decidersToName(rights, [away('UB', 'UD')])).toEqual([
      { userId: 'UA', delegateUserId: null },
      { userId: 'UB', delegateUserId: 'UD' },
      { userId: 'UC', delegateUserId: null },
    ]);
  });
});

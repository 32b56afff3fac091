import { DAY, civilDate, londonOffset, weekday } from './civil';

const weekdays = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** An instant as a person in London reads it: "Tue 7 Apr 2026 10:30 BST". */
export function formatLondon(at: Date): string {
  const offset = londonOffset(at.getTime());
  const wall = at.getTime() + offset;
  const dayNo = Math.floor(wall / DAY);
  const { year, month, day } = civilDate(dayNo);
  const minutes = Math.floor((wall - dayNo * DAY) / 60_000);
  const clock = `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
  return `${weekdays[weekday(dayNo)]} ${day} ${months[month - 1]} ${year} ${clock} ${offset ? 'BST' : 'GMT'}`;
}

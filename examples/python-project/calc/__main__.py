"""python3 -m calc 1 2 3: print the mean of the numbers."""
import sys

from calc import mean


def main():
    print(mean(float(a) for a in sys.argv[1:]))


if __name__ == "__main__":
    main()

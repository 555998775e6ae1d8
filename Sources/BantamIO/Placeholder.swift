public enum BantamIOPlaceholder {}
